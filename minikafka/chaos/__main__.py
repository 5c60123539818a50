"""`python -m minikafka.chaos`: the campaign's command line (see `campaign`)."""
import sys

from minikafka.chaos.campaign import main

sys.exit(main())
