"""The app tier: load balancer, Auto Scaling group and their alarms, per region."""
