"""Review-chain processes (viewflow) live here; see issue 3."""
