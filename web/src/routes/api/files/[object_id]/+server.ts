import type { RequestHandler } from './$types';
import { fileFromGateway } from '$lib/server/gateway';

// Messages carry attachment links relative to the gateway's HTTP API; the browser follows them
// here, on the app's origin. The signed link is the credential, so no session is needed.
export const GET: RequestHandler = ({ params, url }) => fileFromGateway(params.object_id, url.search);
