"""Stage 3: the chapter and every other file reportgen writes (docx, PDF/ODT, reports, blank workbooks)."""
