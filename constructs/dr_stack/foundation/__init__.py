"""What every tier stands on: providers per region, KMS keys, the VPCs, Terraform state, private buckets."""
