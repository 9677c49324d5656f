"""``python -m schedsim`` runs the command line."""

from schedsim.cli import main

if __name__ == "__main__":
    main()
