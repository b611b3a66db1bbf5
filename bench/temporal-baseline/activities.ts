/** Stand-ins for MChat's agent steps, doing no work: what Temporal alone costs. */
export async function prepare(question: string): Promise<string> {
  return question;
}

export async function call(context: string): Promise<string> {
  return `answer to ${context}`;
}

export async function finish(answer: string): Promise<string> {
  return answer;
}
