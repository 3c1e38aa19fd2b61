#!/usr/bin/env python3
"""Extracts the OpenWire field lists from ActiveMQ's marshallers into fields.json.

  extract.py SRC [OUT]     (OUT defaults to fields.json next to this script)

SRC holds ActiveMQ sources laid out as:
  SRC/cmd/*.java    org/apache/activemq/command/ (CommandTypes.java and the data structures: their
                    DATA_STRUCTURE_TYPE)
  SRC/v1 … SRC/v12  org/apache/activemq/openwire/v1, v8, v9, v10, v11, v12 (*Marshaller.java) from
                    apache/activemq; v1 and v8 were removed from the tree later and come from its git
                    history.
For each marshaller it records the fields tightUnmarshal reads, in order (kind and setter), its
superclass and data structure type. fields.json, committed, is what gen.py reads: the tables in
protocols/mq/openwire_commands.cpp are reproducible without the sources.
"""
import re,os,sys,json
base=sys.argv[1]
cmddir=os.path.join(base,'cmd')
out_path=sys.argv[2] if len(sys.argv)>2 else os.path.join(os.path.dirname(os.path.abspath(__file__)),'fields.json')
# type constants
ct={}
for ln in open(f'{cmddir}/CommandTypes.java'):
    m=re.search(r'byte\s+(\w+)\s*=\s*(-?\d+)',ln)
    if m: ct[m.group(1)]=int(m.group(2))
cls_type={}
for f in os.listdir(cmddir):
    s=open(f'{cmddir}/{f}').read()
    m=re.search(r'DATA_STRUCTURE_TYPE\s*=\s*CommandTypes\.(\w+)',s)
    if m: cls_type[f[:-5]]=ct[m.group(1)]
def body(s,name):
    i=s.find(name)
    if i<0: return None
    j=s.find('{',i); d=0
    for k in range(j,len(s)):
        if s[k]=='{': d+=1
        elif s[k]=='}':
            d-=1
            if d==0: return s[j+1:k]
tok=re.compile(r'(if \(bs\.readBoolean\(\)\) \{\s*short size = dataIn\.readShort\(\);)|set(\w+)\(|tightUnmarsalCachedObject\(|tightUnmarsalNestedObject\(|tightUnmarshalString\(|tightUnmarshalLong\(|tightUnmarshalByteArray\(|tightUnmarshalByteSequence\(|tightUnmarshalConstByteArray\(dataIn, bs, (\d+)\)|tightUnmarsalThrowable\(|dataIn\.readInt\(\)|dataIn\.readShort\(\)|dataIn\.readByte\(\)|bs\.readBoolean\(\)|dataIn\.readChar\(\)')
def fields(b):
    out=[];setter=None;i=0
    while True:
        m=tok.search(b,i)
        if not m: break
        t=m.group(0)
        if m.group(1):
            # array: find element call and setter, skip through else block
            e=b.find('else',m.end()); blk=b[m.end():e]
            kind='ARR_CACHED' if 'Cached' in blk else 'ARR_NESTED'
            sm=re.search(r'info\.set(\w+)\(value\)',blk); 
            out.append((kind,sm.group(1)))
            k=b.find('}',b.find('{',e)); i=k+1; continue
        if m.group(2): setter=m.group(2); i=m.end(); continue
        kind={'tightUnmarsalCachedObject(':'CACHED','tightUnmarsalNestedObject(':'NESTED','tightUnmarshalString(':'STRING','tightUnmarshalLong(':'LONG','tightUnmarshalByteArray(':'BYTES','tightUnmarshalByteSequence(':'BYTES','tightUnmarsalThrowable(':'THROWABLE','dataIn.readInt()':'INT','dataIn.readShort()':'SHORT','dataIn.readByte()':'BYTE','bs.readBoolean()':'BOOL','dataIn.readChar()':'CHAR'}.get(t)
        if m.group(3): kind='CONST'+m.group(3)
        out.append((kind,setter)); setter=None; i=m.end()
    return out
res={}
for v in ['v1','v8','v9','v10','v11','v12']:
    d=f'{base}/{v}'; info={}
    for f in os.listdir(d):
        if not f.endswith('Marshaller.java') or f.startswith('Base') and f!='BaseCommandMarshaller.java': continue
        s=open(f'{d}/{f}').read()
        name=f[:-len('Marshaller.java')]
        sup=re.search(r'extends (\w+)Marshaller',s).group(1)
        b=body(s,'public void tightUnmarshal(')
        info[name]={'super':sup,'fields':fields(b) if b else [],'type':cls_type.get(name),'abstract':'abstract class' in s}
    res[v]=info
json.dump(res,open(out_path,'w'),indent=0)
