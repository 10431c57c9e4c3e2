"""`ganstudio bench`: every measurement the README reports, one subcommand each."""
