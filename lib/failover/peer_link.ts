/**
 * The failover partner channel as the driver sees it: an ordered byte stream (TCP in
 * production, an in-memory switchable link in tests). draft-12 §8.2: one TCP connection per
 * relationship.
 */

export interface LinkHandlers {
  data(chunk: Uint8Array): void;
  /** The connection ended (FIN, RST, or closed by us). Called once. */
  closed(reason: string): void;
}

export interface PeerLink {
  readonly remote: string;
  /** Starts delivering data; call once. */
  start(h: LinkHandlers): void;
  /** Queues bytes in order; never throws (a broken link reports closed). */
  send(bytes: Uint8Array): void;
  close(): void;
  /**
   * draft §11.2: continues this connection over TLS, as the TLS server (the box that accepted
   * it) or client; resolves once the partner's certificate checked out, rejects with the reason
   * (the link is closed then). Absent when the network has no TLS material.
   */
  startTls?(side: "client" | "server"): Promise<void>;
}

export interface PeerNetwork {
  /** Accepts incoming partner connections. */
  listen(onLink: (link: PeerLink) => void): { close(): void };
  /** Opens a connection to the partner; rejects when it cannot. */
  connect(): Promise<PeerLink>;
}
