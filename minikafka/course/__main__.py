"""`python -m minikafka.course regen | check-stale`: the notebook tooling (see `notebooks`)."""
import sys

from minikafka.course.notebooks import main

sys.exit(main())
