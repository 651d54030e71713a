// The preview's messages (docs/preview.md): the service worker, the page and the engine
// worker pass an HTTP request for a port in the machine and stream its response back.
//
//   service worker --postMessage(PreviewRequest, [port])--> page (an IDE tab)
//   page --postMessage({type: 'http', req, reply: port}, [port])--> engine worker
//   engine worker --PreviewReply messages on `port`--> service worker
//
// The MessagePort travels, so the response's bytes go from the engine worker straight to
// the service worker.

/** A request for a server in the machine: `path` is what follows /port/N (starts with '/'). */
export interface PreviewRequest {
  type: 'glassbox:port-request';
  port: number;
  method: string;
  path: string;
  headers: Array<[string, string]>;
  body: ArrayBuffer | null;
}

export type PreviewReply =
  | { type: 'head'; status: number; statusText: string; headers: Array<[string, string]> }
  | { type: 'body'; chunk: Uint8Array }
  | { type: 'end' }
  /** Before the head: the request failed (no server, bad response...); after it: the stream broke. */
  | { type: 'error'; status: number; code: string; message: string };

/** From the service worker on the same port: `bytes` of body were taken by the reader
 *  (flow control: the engine worker keeps at most a window of unacknowledged bytes in
 *  flight and leaves the rest in the guest's socket), or the reader went away. */
export type PreviewAck = { type: 'ack'; bytes: number } | { type: 'cancel' };

export interface ListeningPort {
  port: number;
  address: string;
  pid: number;
  command: string;
}

export interface HttpMessage {
  type: 'http';
  req: PreviewRequest;
  reply: MessagePort;
}
export interface PortsMessage {
  type: 'ports';
  id: number;
}
export interface PortsResultMessage {
  type: 'ports-result';
  id: number;
  ports: ListeningPort[];
}
