"""`sohoa` and `python -m sohoa`: the command line, imported only when it runs.

Processes started by spawn (the page workers) and the forkserver (the file checks of ingest.sniff) import
the main script again, as multiprocessing does; when the script's import was `sohoa.api.cli`, each of them
loaded the whole command line (typer, pyHanko, the web app: about 2 s of CPU on two cores) before reading
a page. With this module as the script's import they load these few lines, then only what their task uses.
"""


def main() -> None:
    from sohoa.api.cli import main as cli

    cli()


if __name__ == "__main__":
    main()
