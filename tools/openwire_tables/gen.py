#!/usr/bin/env python3
"""Writes the generated part of protocols/mq/openwire_commands.cpp (everything up to the hand-written
lookup functions at its end) from fields.json (see extract.py) to stdout.

  gen.py [fields.json]

tests/tools/test_openwire_tables.sh checks that the committed file starts with exactly this output.
"""
import json,os,sys
res=json.load(open(sys.argv[1] if len(sys.argv)>1 else os.path.join(os.path.dirname(os.path.abspath(__file__)),'fields.json')))
vers=['v1','v8','v9','v10','v11','v12']
KIND={'INT':'kInt','SHORT':'kShort','BYTE':'kByte','CHAR':'kChar','BOOL':'kBool','LONG':'kLong','STRING':'kString','CACHED':'kCached','NESTED':'kNested','ARR_NESTED':'kNestedArray','ARR_CACHED':'kCachedArray','BYTES':'kBytes','THROWABLE':'kThrowable'}
def tag(kind,setter,cls):
    if setter=='CommandId': return 'kCommandId'
    if setter=='ResponseRequired': return 'kResponseRequired'
    if setter=='CorrelationId': return 'kCorrelationId' if kind=='INT' else 'kJmsCorrelationId'
    if setter=='Destination': return 'kDestination'
    if setter=='PhysicalName': return 'kPhysicalName'
    if setter=='BrokerURL': return 'kBrokerUrl'
    if kind=='THROWABLE': return 'kException'
    if setter=='Message' and kind=='NESTED': return 'kMessage'
    if setter=='MarshalledProperties': return 'kProperties'
    if setter=='Version' and cls=='WireFormatInfo': return 'kWireVersion'
    if setter=='Magic': return 'kMagic'
    return 'kNone'
out=[]
out.append('''// Generated from the ActiveMQ OpenWire marshallers (activemq-client, org/apache/activemq/openwire/v*/
// *Marshaller.java, tightUnmarshal/looseUnmarshal): the fields of every data structure in wire order,
// superclass fields first, for each marshaller version shipped (v1, v8, v9, v10, v11, v12). Only
// the kinds matter for walking the bytes; the tags name the few fields the flow log reports.
// Everything above the lookup functions at the end is written by tools/openwire_tables/gen.py from
// its fields.json (tests/tools/test_openwire_tables.sh checks it): regenerate, do not edit.
#include "protocols/mq/openwire_commands.hpp"

namespace l7tap::openwire {
namespace {

using K = Kind;
using T = Tag;
''')
for vi,v in enumerate(vers):
    info=res[v]
    fl=[];types={}
    for name,c in sorted(info.items(), key=lambda kv:(kv[1]['type'] or 0)):
        if c['abstract'] or c['type'] is None: continue
        chain=[];n=name
        while n in info:
            chain.append(n); n=info[n]['super']
        fields=[]
        for cn in reversed(chain):
            for k,s in info[cn]['fields']:
                fields.append((k,s,cn))
        off=len(fl)
        for k,s,cn in fields:
            if k.startswith('CONST'):
                fl.append(f'{{K::kConst, {tag(k,s,name)}, {k[5:]}}}')
            else:
                fl.append(f'{{K::{KIND[k]}, T::{tag(k,s,name)[1:] if False else tag(k,s,name)}, 0}}'.replace('T::k','T::k'))
        types[c['type']]=(name,off,len(fields))
    out.append(f'constexpr FieldSpec kFields{v.upper()}[] = {{')
    for i in range(0,len(fl),3): out.append('    '+', '.join(fl[i:i+3])+',')
    out.append('};')
    out.append(f'constexpr TypeSpec kTypes{v.upper()}[] = {{')
    for t in sorted(types):
        name,off,cnt=types[t]
        out.append(f'    {{{t}, {cnt}, &kFields{v.upper()}[{off}]}},  // {name}')
    out.append('};')
sys.stdout.write('\n'.join(out).replace('{K::kConst, kMagic','{K::kConst, T::kMagic').replace('{K::kConst, kNone','{K::kConst, T::kNone'))
