//! The indexer: walks the repository, extracts rows with tree-sitter and writes .pf/repo_index.db.
