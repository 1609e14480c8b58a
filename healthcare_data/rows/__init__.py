"""Fast row drafts shared by the single-record builders and the bulk engine."""
