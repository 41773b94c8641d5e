import CMPI

/// The only importer of `CMPI`: a small communicator and the coordinator/worker protocol.
public enum ClusterModule {}
