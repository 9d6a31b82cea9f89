"""The command line: argument parsing in cli.main, one module per group of verbs."""
