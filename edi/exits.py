"""Exit status of every `edi` command: 0 clean, 1 done but something needs a person, 2 unreadable input or
bad usage (one line naming the file and where; never a traceback)."""

EXIT_OK, EXIT_REVIEW, EXIT_UNREADABLE = 0, 1, 2
