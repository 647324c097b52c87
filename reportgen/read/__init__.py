"""Stage 1: the only code that opens workbooks; every value keeps its file/sheet/cell."""
