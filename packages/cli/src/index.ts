export type { CliIo, CommandDefinition, OptionSpec } from './commands/command.js';
export { decodeHexLine, type HexDecodeResult, type HexError } from './hex.js';
export { main } from './main.js';
export {
  type DecodedPacket,
  decodePacket,
  SUPPORTED_LINK_TYPES,
  type TcpSegment,
} from './pcap/packets.js';
export {
  type CapturedPacket,
  type CaptureFormat,
  CaptureFormatError,
  CaptureReader,
  detectCaptureFormat,
  readCapture,
  readCaptureChunks,
} from './pcap/reader.js';
export {
  type IncompleteStream,
  type StreamConsumer,
  type StreamInfo,
  TcpStreamAssembler,
  type TcpStreamLimits,
} from './pcap/tcp-streams.js';
