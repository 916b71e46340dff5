// Adding and removing a finalizer with JSON patches that fail if the object moved underneath.
import type { KubeHttp } from "./kube-http.js";
import { type KubeObject, objectPath, type ResourceType } from "./resource.js";

const JSON_PATCH = "application/json-patch+json";

export async function addFinalizer<T extends KubeObject>(
  http: KubeHttp,
  type: ResourceType,
  object: T,
  finalizer: string,
): Promise<T> {
  const finalizers = object.metadata.finalizers ?? [];
  if (finalizers.includes(finalizer)) return object;
  const patch = [
    { op: "test", path: "/metadata/resourceVersion", value: object.metadata.resourceVersion },
    finalizers.length === 0
      ? { op: "add", path: "/metadata/finalizers", value: [finalizer] }
      : { op: "add", path: "/metadata/finalizers/-", value: finalizer },
  ];
  return http.json<T>(objectPath(type, object.metadata.namespace, object.metadata.name), {
    method: "PATCH",
    body: patch,
    contentType: JSON_PATCH,
  });
}

export async function removeFinalizer<T extends KubeObject>(
  http: KubeHttp,
  type: ResourceType,
  object: T,
  finalizer: string,
): Promise<T> {
  const finalizers = object.metadata.finalizers ?? [];
  const index = finalizers.indexOf(finalizer);
  if (index < 0) return object;
  const patch = [
    { op: "test", path: `/metadata/finalizers/${index}`, value: finalizer },
    { op: "remove", path: `/metadata/finalizers/${index}` },
  ];
  return http.json<T>(objectPath(type, object.metadata.namespace, object.metadata.name), {
    method: "PATCH",
    body: patch,
    contentType: JSON_PATCH,
  });
}
