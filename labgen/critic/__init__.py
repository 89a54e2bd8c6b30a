"""The critic: teacher judgments and deterministic checks, each a Verdict, combined into one score.

Generation calls `run_checks` (free) and the judges (`get_judge(name).request(...)` / `.parse(...)`) at
its filter points; `critic_record` builds the `critic` key every sample carries.
"""

from labgen.critic.checks import DETERMINISTIC_CHECKS, CheckInput, run_checks
from labgen.critic.combine import combined_score, critic_record
from labgen.critic.config import CriticConfig
from labgen.critic.judges import JUDGE_NAMES, Judge, get_judge

__all__ = ["CheckInput", "CriticConfig", "DETERMINISTIC_CHECKS", "JUDGE_NAMES", "Judge", "combined_score",
           "critic_record", "get_judge", "run_checks"]
