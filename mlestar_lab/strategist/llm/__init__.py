"""The LLM strategist: MLE-STAR's decisions made by a chat model, through the same loop.

Prompts are template files in `prompts/`; `session` sends them (retries, repair rounds, spend,
redacted transcripts); `scripts` turns replies into notebooks of named blocks; `strategist`
implements the Strategist interface role by role.
"""
