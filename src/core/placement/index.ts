// Pure placement: feasibility by constraints, spread of replicas over hosts.

export type { HostLink, LinkService, LinkWarning, Placed } from './cross-host.js';
export { crossHostWarnings, extraHostEntries, hostLinks, linksVerdict, movedNames } from './cross-host.js';
export type { PlacementConstraint, PlacementNode, PlacementRule } from './feasibility.js';
export { excludedBy, lackingFeatures, nodeValue, upgradeMessage } from './feasibility.js';
export type { PlaceRequest, PlaceResult, Placer } from './place.js';
export { createPlacer } from './place.js';
export type { DataSpec } from './sticky.js';
export { dataOnHost, holdsOnHost, isSticky } from './sticky.js';
