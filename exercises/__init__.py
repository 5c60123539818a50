"""Exercises for the minikafka course; stubs the learner fills in."""
