"""`python -m minikafka.course COMMAND`: the course's commands.

    regen | check-stale [NOTEBOOK...]   notebook outputs (minikafka.course.notebooks)
    progress [...] | reset N.M          exercises' status and reset (minikafka.course.progress_report)
    lite OUTDIR [--pyodide PATH]        the course as a static JupyterLite site (minikafka.course.lite)
"""
import sys

COMMANDS = {"regen": "notebooks", "check-stale": "notebooks", "progress": "progress_report", "reset": "progress_report",
            "lite": "lite"}


def main(argv: list[str]) -> int:
    if not argv or argv[0] not in COMMANDS:
        print(__doc__.strip(), file=sys.stderr if argv and argv[0] not in ("-h", "--help") else sys.stdout)
        return 0 if argv and argv[0] in ("-h", "--help") else 2
    from importlib import import_module
    module = import_module(f"minikafka.course.{COMMANDS[argv[0]]}")
    return module.main(argv[1:] if argv[0] == "lite" else argv)


sys.exit(main(sys.argv[1:]))
