"""One invocation: the event it carries, the step plan, the orchestrator that runs it, the run report."""
