"""Every AWS name the stack creates, and AWS's rules for each kind."""
