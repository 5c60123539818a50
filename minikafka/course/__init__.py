"""The course's own code: exercise checks (`checks/`), lesson references (`lessons/`), seeded
experiments (`experiments`) and the notebook tooling (`notebooks`; `python -m minikafka.course`)."""
