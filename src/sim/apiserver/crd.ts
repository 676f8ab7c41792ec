/**
 * The CloneSet CustomResourceDefinition the simulator serves, as data: deploy/crd/cloneset.yaml converted to
 * JSON (test/sim/apiserver-fidelity-units.test.ts checks the two stay equal). Its structural schema drives pruning and
 * type checks, its printer columns the Table output kubectl asks for, and both feed /openapi/v3.
 * Kept in code rather than read at run time so the simulator has no dependency on the repository layout.
 */
import type { JsonObject } from './json.js';

/** deploy/crd/cloneset.yaml */
export const CLONESET_CRD: JsonObject = {
  apiVersion: 'apiextensions.k8s.io/v1',
  kind: 'CustomResourceDefinition',
  metadata: {
    name: 'clonesets.apps.kruise.io',
  },
  spec: {
    group: 'apps.kruise.io',
    scope: 'Namespaced',
    names: {
      kind: 'CloneSet',
      listKind: 'CloneSetList',
      plural: 'clonesets',
      singular: 'cloneset',
      shortNames: ['clone'],
    },
    versions: [
      {
        name: 'v1alpha1',
        served: true,
        storage: true,
        subresources: {
          status: {},
          scale: {
            specReplicasPath: '.spec.replicas',
            statusReplicasPath: '.status.replicas',
            labelSelectorPath: '.status.labelSelector',
          },
        },
        additionalPrinterColumns: [
          {
            name: 'DESIRED',
            type: 'integer',
            description: 'The desired number of pods.',
            jsonPath: '.spec.replicas',
          },
          {
            name: 'UPDATED',
            type: 'integer',
            description: 'The number of pods updated.',
            jsonPath: '.status.updatedReplicas',
          },
          {
            name: 'UPDATED_READY',
            type: 'integer',
            description: 'The number of pods updated and ready.',
            jsonPath: '.status.updatedReadyReplicas',
          },
          {
            name: 'UPDATED_AVAILABLE',
            type: 'integer',
            description: 'The number of pods updated and available.',
            jsonPath: '.status.updatedAvailableReplicas',
          },
          {
            name: 'READY',
            type: 'integer',
            description: 'The number of pods ready.',
            jsonPath: '.status.readyReplicas',
          },
          {
            name: 'TOTAL',
            type: 'integer',
            description: 'The number of currently all pods.',
            jsonPath: '.status.replicas',
          },
          {
            name: 'AGE',
            type: 'date',
            jsonPath: '.metadata.creationTimestamp',
          },
          {
            name: 'CONTAINERS',
            type: 'string',
            priority: 1,
            description: 'The containers of currently cloneset.',
            jsonPath: '.spec.template.spec.containers[*].name',
          },
          {
            name: 'IMAGES',
            type: 'string',
            priority: 1,
            description: 'The images of currently cloneset.',
            jsonPath: '.spec.template.spec.containers[*].image',
          },
          {
            name: 'SELECTOR',
            type: 'string',
            priority: 1,
            description: 'The selector of currently cloneset.',
            jsonPath: '.status.labelSelector',
          },
        ],
        schema: {
          openAPIV3Schema: {
            description: 'CloneSet is the Schema for the clonesets API.',
            type: 'object',
            properties: {
              apiVersion: {
                type: 'string',
              },
              kind: {
                type: 'string',
              },
              metadata: {
                type: 'object',
              },
              spec: {
                description: 'CloneSetSpec defines the desired state of CloneSet.',
                type: 'object',
                required: ['selector', 'template'],
                properties: {
                  replicas: {
                    description: 'Number of desired pods. Defaults to 1 (by the controller, not the schema).',
                    type: 'integer',
                    format: 'int32',
                  },
                  selector: {
                    description: "Label query over pods that should match the replica count. Must match the template's labels.",
                    type: 'object',
                    'x-kubernetes-map-type': 'atomic',
                    properties: {
                      matchLabels: {
                        type: 'object',
                        additionalProperties: {
                          type: 'string',
                        },
                      },
                      matchExpressions: {
                        type: 'array',
                        items: {
                          type: 'object',
                          required: ['key', 'operator'],
                          properties: {
                            key: {
                              type: 'string',
                            },
                            operator: {
                              type: 'string',
                            },
                            values: {
                              type: 'array',
                              items: {
                                type: 'string',
                              },
                              'x-kubernetes-list-type': 'atomic',
                            },
                          },
                        },
                        'x-kubernetes-list-type': 'atomic',
                      },
                    },
                  },
                  template: {
                    description: 'The Pod template (core/v1 PodTemplateSpec), kept as given.',
                    type: 'object',
                    'x-kubernetes-preserve-unknown-fields': true,
                  },
                  volumeClaimTemplates: {
                    type: 'array',
                    items: {
                      type: 'object',
                      'x-kubernetes-preserve-unknown-fields': true,
                    },
                  },
                  revisionHistoryLimit: {
                    type: 'integer',
                    format: 'int32',
                  },
                  minReadySeconds: {
                    type: 'integer',
                    format: 'int32',
                  },
                  progressDeadlineSeconds: {
                    type: 'integer',
                    format: 'int32',
                  },
                  scaleStrategy: {
                    type: 'object',
                    properties: {
                      podsToDelete: {
                        type: 'array',
                        items: {
                          type: 'string',
                        },
                      },
                      maxUnavailable: {
                        anyOf: [
                          {
                            type: 'integer',
                          },
                          {
                            type: 'string',
                          },
                        ],
                        'x-kubernetes-int-or-string': true,
                      },
                      disablePVCReuse: {
                        type: 'boolean',
                      },
                    },
                  },
                  updateStrategy: {
                    type: 'object',
                    properties: {
                      type: {
                        description: 'ReCreate, InPlaceIfPossible or InPlaceOnly.',
                        type: 'string',
                      },
                      partition: {
                        anyOf: [
                          {
                            type: 'integer',
                          },
                          {
                            type: 'string',
                          },
                        ],
                        'x-kubernetes-int-or-string': true,
                      },
                      maxUnavailable: {
                        anyOf: [
                          {
                            type: 'integer',
                          },
                          {
                            type: 'string',
                          },
                        ],
                        'x-kubernetes-int-or-string': true,
                      },
                      maxSurge: {
                        anyOf: [
                          {
                            type: 'integer',
                          },
                          {
                            type: 'string',
                          },
                        ],
                        'x-kubernetes-int-or-string': true,
                      },
                      paused: {
                        type: 'boolean',
                      },
                      priorityStrategy: {
                        type: 'object',
                        'x-kubernetes-preserve-unknown-fields': true,
                      },
                      scatterStrategy: {
                        type: 'array',
                        items: {
                          type: 'object',
                          required: ['key', 'value'],
                          properties: {
                            key: {
                              type: 'string',
                            },
                            value: {
                              type: 'string',
                            },
                          },
                        },
                      },
                      inPlaceUpdateStrategy: {
                        type: 'object',
                        properties: {
                          gracePeriodSeconds: {
                            type: 'integer',
                            format: 'int32',
                          },
                        },
                      },
                    },
                  },
                  lifecycle: {
                    type: 'object',
                    'x-kubernetes-preserve-unknown-fields': true,
                  },
                },
              },
              status: {
                description: 'CloneSetStatus defines the observed state of CloneSet.',
                type: 'object',
                properties: {
                  observedGeneration: {
                    type: 'integer',
                    format: 'int64',
                  },
                  replicas: {
                    type: 'integer',
                    format: 'int32',
                  },
                  readyReplicas: {
                    type: 'integer',
                    format: 'int32',
                  },
                  availableReplicas: {
                    type: 'integer',
                    format: 'int32',
                  },
                  updatedReplicas: {
                    type: 'integer',
                    format: 'int32',
                  },
                  updatedReadyReplicas: {
                    type: 'integer',
                    format: 'int32',
                  },
                  updatedAvailableReplicas: {
                    type: 'integer',
                    format: 'int32',
                  },
                  expectedUpdatedReplicas: {
                    type: 'integer',
                    format: 'int32',
                  },
                  updateRevision: {
                    type: 'string',
                  },
                  currentRevision: {
                    type: 'string',
                  },
                  collisionCount: {
                    type: 'integer',
                    format: 'int32',
                  },
                  labelSelector: {
                    type: 'string',
                  },
                  conditions: {
                    type: 'array',
                    items: {
                      type: 'object',
                      required: ['type', 'status'],
                      properties: {
                        type: {
                          type: 'string',
                        },
                        status: {
                          type: 'string',
                        },
                        lastTransitionTime: {
                          type: 'string',
                          format: 'date-time',
                        },
                        lastUpdateTime: {
                          type: 'string',
                          format: 'date-time',
                        },
                        reason: {
                          type: 'string',
                        },
                        message: {
                          type: 'string',
                        },
                      },
                    },
                  },
                },
              },
            },
          },
        },
      },
    ],
  },
};
