import bcrypt from 'bcryptjs';

export type PasswordTask =
  { op: 'hash'; password: string; cost: number } | { op: 'verify'; password: string; hash: string };

/** Runs in a worker thread: bcrypt is deliberately slow, and here it cannot stall the event loop. */
export default async function run(task: PasswordTask): Promise<string | boolean> {
  return task.op === 'hash' ? bcrypt.hash(task.password, task.cost) : bcrypt.compare(task.password, task.hash);
}
