"""reportgen: staff workbooks → the numbered 國際事務 chapter of the council report."""

__version__ = "0.1.0"
