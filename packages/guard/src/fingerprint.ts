/**
 * The fingerprint fields that the guard reads. `TlsFingerprint` from
 * `@ja4guard/core` has this shape and more, so it can be passed as is.
 */
export interface GuardFingerprint {
  /** JA4 string, for example `t13d1516h2_8daaf6152771_e5627efa2ab1`. */
  readonly ja4: string;
  /** JA3 hash: 32 lowercase hex characters. Read only when a rule matches on JA3. */
  readonly ja3: string;
  /** Server Name Indication sent by the client, or null when absent. */
  readonly serverName: string | null;
  /** ALPN protocols offered by the client, in wire order. */
  readonly alpnProtocols: readonly string[];
}
