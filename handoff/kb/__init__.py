"""The knowledge base: articles (zh/en Markdown) the bot answers from and agents quote.

Supervisors edit articles in the console or over the API; designers keep them as files in
data/kb/ (imported at start). Search segments Chinese with jieba and runs on the database's
own full-text index (SQLite FTS5, PostgreSQL tsvector), so an edit is searchable at once.
"""
