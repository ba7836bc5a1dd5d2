"""``python -m jupyter_mltrack`` runs the ``mltrack`` command line."""

from jupyter_mltrack.cli.main import main

if __name__ == "__main__":
    main(prog_name="mltrack")
