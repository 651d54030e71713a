// The numbers the engine worker shares with the engine module (web/engine/glassbox_web.cpp):
// gb_run result bits, gb_fs operation codes and flags, the overlay record header.
//
// One definition: web/engine/abi.json. CMake generates the C++ header from it
// (web/engine/abi.cmake -> build-wasm-web/gen/web_abi.h) and esbuild bundles the JSON here,
// so the two sides cannot drift. Errno names are not in it: the module exports
// gb_errno_name (Linux's names, from the engine's own table).
import abi from '../../../web/engine/abi.json';
import type { FsOp } from './protocol';

/** gb_run result bits. */
export const RUN = abi.run;

/** gb_fs operation codes by request name. */
export const FS_OP: Record<Exclude<FsOp, 'inspect'>, number> = {
  list: abi.fs_op.LIST,
  read: abi.fs_op.READ,
  write: abi.fs_op.WRITE,
  stat: abi.fs_op.STAT,
  mkdir: abi.fs_op.MKDIR,
  delete: abi.fs_op.DELETE,
  rename: abi.fs_op.RENAME,
};

/** gb_fs flags: the mode bits for write/mkdir, recursive delete. */
export const FS_FLAG = abi.fs_flag;

/** Bytes before each block in gb_overlay_reply: u32 LE block_lo, u32 LE block_hi. */
export const OVERLAY_RECORD_HEADER = abi.overlay_record_header;

/** The whole table, handed to engine modules that want it (the test stand-in). */
export const ENGINE_ABI = abi;
