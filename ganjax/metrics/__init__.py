"""Sample-quality metrics: feature networks, FID, KID, Inception Score, precision/recall, toy-mixture mode coverage."""
