"""Progress records (goals, check-ins, concerns, kudos) arrive with the progress issue."""
