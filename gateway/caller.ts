/** The authenticated employee behind a request: taken from the connection, never from the payload. */
export interface Caller {
  id: string;
  clientId: string;
  role: 'member' | 'admin';
}
