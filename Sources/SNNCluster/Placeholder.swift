// SNNCluster
