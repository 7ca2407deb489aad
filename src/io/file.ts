// File helpers for runtimes with a file system (Node, Deno with --allow-read/--allow-write). The import of
// node:fs is dynamic so that browsers and workers can load this module without it.
import type { Sequential } from '../model/sequential.js';
import { loadModel, saveModel, type LoadOptions } from './format.js';

/** Writes the model to a file (see saveModel for the format). */
export async function saveModelFile(model: Sequential, path: string): Promise<void> {
  const { writeFile } = await import('node:fs/promises');
  await writeFile(path, saveModel(model));
}

/** Reads a model file written by saveModelFile. */
export async function loadModelFile(path: string, options: LoadOptions = {}): Promise<Sequential> {
  const { readFile } = await import('node:fs/promises');
  return loadModel(new Uint8Array(await readFile(path)), options);
}
