// The calls of the allow-list that nginx cannot judge from the request line alone (nginx.conf
// sends them here): a container's creation, judged by its body, and calls on one container,
// judged by what that container is. Passed calls go on to Docker through /_docker/.
//
// What the deployment's run containers are comes from the environment, said once in compose:
// DAGSTER_RUN_IMAGE (the only image), DAGSTER_RUN_NETWORK (their network) and DAGSTER_RUN_VOLUMES
// (the only volumes, comma-separated as `name:/path:mode`).

const HOST_NAMESPACES = ['NetworkMode', 'PidMode', 'IpcMode', 'UTSMode', 'UsernsMode', 'CgroupnsMode'];
const NOT_ASKED = ['Devices', 'DeviceRequests', 'DeviceCgroupRules', 'CapAdd', 'Mounts', 'VolumesFrom',
    'Sysctls', 'Links', 'ExtraHosts', 'Runtime', 'CgroupParent'];

function refuse(r, status, message) {
    r.headersOut['Content-Type'] = 'application/json';
    r.return(status, JSON.stringify({message: 'refused by the bookshop Docker API proxy: ' + message}) + '\n');
}

function forward(r, method, body) {
    const parts = r.variables.request_uri.split('?');
    return r.subrequest('/_docker' + parts[0], {method: method, args: parts[1] || '', body: body});
}

function answer(r, reply) {
    r.headersOut['Content-Type'] = 'application/json';
    r.return(reply.status, reply.responseText);
}

function isEmpty(value) {
    return value === undefined || value === null || value === '' || value === false
        || (Array.isArray(value) && value.length === 0)
        || (typeof value === 'object' && Object.keys(value).length === 0);
}

// Why this container may not be created, or null: it must be exactly a run container of the
// deployment, whatever its creator asks.
function createRefusal(spec) {
    const image = process.env.DAGSTER_RUN_IMAGE;
    const network = process.env.DAGSTER_RUN_NETWORK;
    const volumes = (process.env.DAGSTER_RUN_VOLUMES || '').split(',').filter((volume) => volume);
    const host = spec.HostConfig || {};
    if (spec.Image !== image) {
        return 'image ' + JSON.stringify(spec.Image) + ' is not the run image';
    }
    if (host.Privileged) {
        return 'privileged mode';
    }
    for (let i = 0; i < HOST_NAMESPACES.length; i++) {
        const key = HOST_NAMESPACES[i];
        const mode = host[key] || '';
        const own = key === 'NetworkMode' ? network : 'private';
        if (mode !== '' && mode !== own) {
            return key + ' ' + JSON.stringify(mode);
        }
    }
    const endpoints = Object.keys((spec.NetworkingConfig || {}).EndpointsConfig || {});
    if (endpoints.some((name) => name !== network)) {
        return 'networks ' + JSON.stringify(endpoints);
    }
    for (let i = 0; i < NOT_ASKED.length; i++) {
        if (!isEmpty(host[NOT_ASKED[i]])) {
            return NOT_ASKED[i] + ' ' + JSON.stringify(host[NOT_ASKED[i]]);
        }
    }
    const binds = host.Binds || [];
    const foreign = binds.filter((bind) => volumes.indexOf(bind) < 0);
    if (foreign.length) {
        return 'mounts ' + JSON.stringify(foreign);
    }
    const securityOptions = (host.SecurityOpt || []).filter((option) => option.indexOf('no-new-privileges') !== 0);
    if (securityOptions.length) {
        return 'security options ' + JSON.stringify(securityOptions);
    }
    return null;
}

async function create(r) {
    let spec;
    try {
        spec = JSON.parse(r.requestText || '');
    } catch (error) {
        return refuse(r, 400, 'the body is not JSON');
    }
    const refusal = createRefusal(spec);
    if (refusal) {
        r.error('containers/create refused: ' + refusal);
        return refuse(r, 403, refusal);
    }
    const created = await forward(r, 'POST', r.requestText);
    answer(r, created);
}

// A call on one container (inspect, start, stop, remove) passes only for a run container of the
// deployment: labelled with a Dagster run id by the run launcher and on the runs' network.
async function runContainer(r) {
    const segments = r.variables.request_uri.split('?')[0].split('/');
    const inspected = await r.subrequest('/_docker/' + segments[1] + '/containers/' + segments[3] + '/json',
        {method: 'GET', body: ''});
    if (inspected.status !== 200) {
        return answer(r, inspected);
    }
    const container = JSON.parse(inspected.responseText);
    const labels = (container.Config || {}).Labels || {};
    const isRun = labels['dagster/run_id'] !== undefined
        && (container.HostConfig || {}).NetworkMode === process.env.DAGSTER_RUN_NETWORK;
    if (!isRun) {
        return refuse(r, 403, 'not a run container of this deployment');
    }
    if (r.method === 'GET') {
        return answer(r, inspected);
    }
    const done = await forward(r, r.method, r.requestText || '');
    answer(r, done);
}

export default {create, runContainer};
