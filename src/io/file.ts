// File helpers for runtimes with a file system (Node, Deno with --allow-read/--allow-write, Bun). node:fs is
// reached only when one of these runs, so browsers and workers can load this module without it.
import { checkEngineOptions, checkPath } from '../args.js';
import { SimdnetError } from '../errors.js';
import type { Sequential } from '../model/sequential.js';
import { nodeFs, syncFs } from '../runtime/node.js';
import type { ByteSource } from './container.js';
import { loadModel, loadModelFrom, saveModel, type LoadOptions } from './format.js';

/** Writes the model to a file (see saveModel for the format). */
export async function saveModelFile(model: Sequential, path: string): Promise<void> {
  checkPath(path, 'saveModelFile()');
  const fs = await nodeFs();
  await fs.promises.writeFile(path, saveModel(model));
}

/** Reads a model file written by saveModelFile. */
export async function loadModelFile(path: string, options: LoadOptions = {}): Promise<Sequential> {
  checkPath(path, 'loadModelFile()');
  checkEngineOptions(options, 'loadModelFile()');
  const fs = await nodeFs();
  return loadModel(new Uint8Array(await fs.promises.readFile(path)), options);
}

/**
 * Reads a model file synchronously, the weights straight from the file into the model's memory (no copy of the
 * file in between): the fastest way from a new process to a first prediction. Needs synchronous node:fs
 * (`process.getBuiltinModule`: Node ≥ 20.16, Deno, Bun). It blocks while it reads, so a server answering
 * requests should load its models at start-up, or use loadModelFile.
 */
export function loadModelFileSync(path: string, options: LoadOptions = {}): Sequential {
  checkPath(path, 'loadModelFileSync()');
  checkEngineOptions(options, 'loadModelFileSync()');
  const fs = syncFs();
  if (!fs) {
    throw new SimdnetError(
      'UNSUPPORTED',
      'loadModelFileSync needs process.getBuiltinModule (Node >= 20.16, Deno, Bun); use loadModelFile or loadModel(bytes)',
    );
  }
  const fd = fs.openSync(path, 'r');
  try {
    const length = fs.fstatSync(fd).size;
    const src: ByteSource = {
      length,
      read(into, position) {
        // readSync may return fewer bytes than asked: loop; 0 means the file shrank since fstat.
        for (let done = 0; done < into.length; ) {
          const n = fs.readSync(fd, into, done, into.length - done, position + done);
          if (n === 0)
            throw new SimdnetError('FORMAT', `${path} changed while it was read (now shorter than ${length} bytes)`);
          done += n;
        }
      },
    };
    return loadModelFrom(src, options);
  } finally {
    fs.closeSync(fd);
  }
}
