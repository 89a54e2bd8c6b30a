"""Teachers: one small interface, several backends (embedded llama.cpp, OpenAI-compatible, vLLM)."""
