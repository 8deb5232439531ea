"""``python -m pubflow`` runs the command-line tool."""

from pubflow.cli import main

main()
