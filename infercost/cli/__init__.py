"""The command line: commands declared as annotated functions (commandline.py), one
module per command, one error handler."""
