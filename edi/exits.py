"""Exit status of every command: 0 clean, 1 done but something needs a person, 2 unreadable input or bad usage."""

EXIT_OK, EXIT_REVIEW, EXIT_UNREADABLE = 0, 1, 2
