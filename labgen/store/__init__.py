"""The teacher-answer store: every answer a teacher gave, keyed by exactly what the teacher saw."""

from __future__ import annotations

from labgen.store.answers import AnswerStore, StoreStats, request_key
from labgen.store.stored_teacher import StoredTeacher

__all__ = ["AnswerStore", "StoreStats", "StoredTeacher", "request_key"]
