"""Chat-model clients: Gemini (`google-genai`) and any OpenAI-compatible endpoint.

One interface (`base.ChatClient`), retries (`retry`), prices (`pricing`), settings and keys
(`settings`) and the per-run spend ledger (`usage`). The clients hold no agent logic: they send one
request and return one reply; prompts, parsing and repair live in `mlestar_lab.strategist.llm`.
"""
