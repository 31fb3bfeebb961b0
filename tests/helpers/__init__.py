"""Helpers shared by the test layers: tiny models, job helpers, scripted LLM servers, app servers."""
