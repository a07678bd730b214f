"""Development tooling for fileproc: build, Terraform wrapper, sandbox, CLI, demo."""
