// Package deploy holds the container deployment files' tests: docker-compose.yml (one
// node) and cluster/docker-compose.yml (two nodes on PostgreSQL) are loaded with the
// Compose specification's reference loader, and the Dockerfile is checked for the
// stanzas the deployment guide relies on. No Docker engine is needed.
package deploy_test
