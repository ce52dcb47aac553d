//! Typed constructs for the private-subnet S3 backup architecture.
